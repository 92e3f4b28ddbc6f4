"""AIlert test suite (mirrors the package)."""
