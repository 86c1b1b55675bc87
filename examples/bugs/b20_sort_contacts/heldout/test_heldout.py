from contacts import Contact, directory, sort_key


def test_sort_key():
    assert sort_key(Contact("Ann", "Lee")) == ("lee", "ann")


def test_same_last_name():
    people = [Contact("Zoe", "Smith"), Contact("Adam", "Smith"), Contact("Mia", "Jones")]
    assert directory(people) == ["Jones, Mia", "Smith, Adam", "Smith, Zoe"]


def test_first_names_in_reverse_order():
    people = [Contact("Anna", "Zimmer"), Contact("Bea", "Young"), Contact("Cleo", "Xu")]
    assert directory(people) == ["Xu, Cleo", "Young, Bea", "Zimmer, Anna"]
