"""HTTP helpers the blueprints share: page language and errors, CSP, origins,
embedding, snippets, downloads, and the one module that builds absolute URLs."""
