"""The browser app: a Dash shell over the workspace that each capability adds its pages to."""
