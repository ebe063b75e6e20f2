"""Question in, Answer out; the CLI and UI edges."""
