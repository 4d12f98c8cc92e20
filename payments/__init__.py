"""The payment library: PAYGENT client, Paidy payload, state rules and the sandbox.

Knows nothing of Flask requests or of the cart's models: the cart maps the small value
objects defined here onto its own tables.
"""
