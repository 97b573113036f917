"""The study material: reading files, chunking, topics, the catalog and vectors, indexing,
repair, the library of folders, and search."""
