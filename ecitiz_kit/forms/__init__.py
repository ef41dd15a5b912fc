"""Forms as data: definitions, their checks and loading, the WTForms compiler,
validators, and the registry of the forms organisations have enabled."""
