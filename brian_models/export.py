def write_script(model, path, errors=None):
    raise NotImplementedError
