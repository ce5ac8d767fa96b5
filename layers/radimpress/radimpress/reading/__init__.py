"""Reading: raw feed bytes (HL7 v2 or plain text) in, a :class:`~radimpress.reading.model.Report` out."""
