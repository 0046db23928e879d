"""Voice notes and files: storage, transcription, content checks and the pipeline's media stage."""
