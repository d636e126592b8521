"""What the tests share: app factories, fake servers, launchers and helpers, one module per
topic. Fixtures stay in the conftest.py files, which import from here; tests import helpers
from here, never from a conftest.py or from another test module."""
