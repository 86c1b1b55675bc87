from contacts import Contact, directory, find


def test_directory_of_two():
    assert directory([Contact("Alan", "Turing"), Contact("Ada", "Lovelace")]) == ["Lovelace, Ada", "Turing, Alan"]


def test_directory_ignores_case():
    assert directory([Contact("carl", "baker"), Contact("Bob", "Adams")]) == ["Adams, Bob", "baker, carl"]


def test_find():
    assert find([Contact("Alan", "Turing"), Contact("Ada", "Lovelace")], "tur") == ["Turing, Alan"]


def test_directory_sorted_by_last_name():
    people = [Contact("Grace", "Hopper"), Contact("Alan", "Turing"), Contact("Edsger", "Dijkstra")]
    assert directory(people) == ["Dijkstra, Edsger", "Hopper, Grace", "Turing, Alan"]
