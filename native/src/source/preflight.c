/* preflight.c - to be written. */
