import grader


def test_public_surface_is_exactly_all():
    public = {name for name in dir(grader) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(grader, name)).__name__ == "module"}
    assert public - modules == set(grader.__all__)
