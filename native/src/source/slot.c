/* slot.c - to be written. */
