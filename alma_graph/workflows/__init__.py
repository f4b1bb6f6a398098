"""The workflow layer: checkpoints and artifacts, sessions, wake-up, strategy confidence."""
