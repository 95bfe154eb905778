"""Reading the tables the CLI prints (rich box drawing), for the CLI tests."""


def row(output: str, key: str) -> list[str]:
    """The cells of the table row that starts with `key`."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells and cells[0] == key:
            return cells
    raise AssertionError(f"no row {key} in:\n{output}")
