"""Background jobs run by RQ workers; they never import views."""
