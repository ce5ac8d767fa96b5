"""What report sentences state: sentence splitting, negation, sides, finding concepts, normal wording."""
