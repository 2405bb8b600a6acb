"""The ``mlc`` command line. Commands are thin: they parse options and call the library."""
