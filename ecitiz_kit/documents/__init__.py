"""Attestations and receipts: Ed25519 signing and keys, PDF layout, fonts."""
