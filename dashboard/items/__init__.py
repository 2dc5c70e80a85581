"""Action items: the base every kind extends, and the kind registry the engine talks to."""
