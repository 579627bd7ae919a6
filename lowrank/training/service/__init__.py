"""The warm training service: one server process per machine slot keeps
Keras loaded, and training jobs hand it their requests over a private socket."""
