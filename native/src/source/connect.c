/* connect.c - to be written. */
