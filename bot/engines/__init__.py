"""NLU engines: ``builtin`` (scikit-learn, in-process) and ``rasa`` (HTTP to a Rasa server)."""
