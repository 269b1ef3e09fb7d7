"""Test helpers: fakes that implement the real interfaces, served on 127.0.0.1."""
