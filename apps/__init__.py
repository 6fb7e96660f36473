"""apps: thin user-facing commands over the library (the `usr` CLI; later batch jobs and the web demo)."""
