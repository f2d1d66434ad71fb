// A shared object that is not an rpclb plug-in: no entry point.
extern "C" __attribute__((visibility("default"))) int some_other_library_function(void) {
  return 1;
}
