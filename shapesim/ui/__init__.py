"""The app's room: what the page shows, made by the package and tested without a browser.

answers   the answer for two pictures, or what is wrong with them, in words
sheet     the drawing sheet: strokes from the browser drawn again, a pasted or dropped picture read
mapview   the Map tab's SVG, its script and style, and the heatmaps' colour bar
models    the predictors an app can switch between
events    what each control of the page does, as named functions (app.py wires them)

Nothing below this package imports it (pyproject.toml's import-linter contract).
"""
