"""What happens to a request: submitted, looked up, amended, moved along its life
cycle, listed, counted, exported, and what people are told about it."""
