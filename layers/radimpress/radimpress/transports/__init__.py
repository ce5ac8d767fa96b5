"""How messages arrive (SQS bodies, MLLP, HTTPS) and the HL7 answer each transport sends back."""
