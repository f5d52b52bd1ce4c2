"""The write stage: the publisher (staging folder, atomic swap, signals) and what it publishes
besides the compiled PDFs: each variant's PDF cut from the bundle and answer-key.json."""
