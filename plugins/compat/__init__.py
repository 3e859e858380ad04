"""Bring an existing blog: Jekyll (Liquid, kramdown), Hugo and Gatsby posts build unchanged."""
