"""Read, clean, chunk, embed and index the documents the assistant answers from."""
