"""The framework's ceiling: a bare Flask hello-world, served exactly like the checkout."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
