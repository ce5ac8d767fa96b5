"""What report sentences state: sentence splitting, negation, sides, finding concepts, normal wording,
the observation vocabulary and the mentions of it a text makes (status, sides)."""
