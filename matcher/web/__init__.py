"""The web service: an enterprise form, advisor pages and a JSON API over the library."""
