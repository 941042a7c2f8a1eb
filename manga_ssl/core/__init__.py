"""Core: configuration and its schema check, atomic files, rule logs, representation names
and the code inputs of each rule."""
