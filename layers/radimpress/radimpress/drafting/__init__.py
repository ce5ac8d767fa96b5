"""Drafting: findings in, a draft impression out (engines, prompts, the serving contract, safety flags)."""
