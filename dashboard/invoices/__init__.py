"""Invoices: numbered, VAT-correct invoices with reminders until paid, and document locks."""
