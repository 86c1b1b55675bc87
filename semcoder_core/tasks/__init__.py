"""The reasoning jobs users ask for: predict states, explain an execution, explain a failing test,
propose fixes. Each works from the real trace alone and does more with a model configured."""

#: states kept per line in a run that checks a prediction (every value a line took, within reason)
CHECK_STATES = 1000
