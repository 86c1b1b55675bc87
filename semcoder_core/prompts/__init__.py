"""SemCoder's prompt formats (byte-exact), answer extraction, and monologue → predicted states.

- :mod:`.formats` builds the prompts;
- :mod:`.answers` reads answers and code out of completions the way the reference evaluation does;
- :mod:`.monologue` turns a forward monologue's Execution Simulation into predicted line states.
"""
