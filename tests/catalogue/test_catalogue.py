from cumulo import catalogue


def test_names_lists_shipped_templates_without_metadata_files():
    names = catalogue.names()
    assert "vm" in names and "run-docker" in names
    assert not any(n.endswith(".meta") for n in names)


def test_find_refuses_paths_outside_the_catalogue():
    assert catalogue.find("../../etc/passwd") is None
    assert catalogue.find(".hidden") is None
    assert catalogue.find("") is None
    assert catalogue.find("no-such-service") is None


def test_entry_layers_side_metadata_over_template_metadata():
    e = catalogue.entry("run-docker")
    assert e is not None
    assert e.display_name == "Run docker"  # from the template
    assert e.metadata["ribbon"] == "new"  # from the side file
    assert "Docker container" in e.description
