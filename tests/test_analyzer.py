from ingest.analyzer import analyze_document, analyze_query


def test_query_without_diacritics_meets_the_document_terms():
    document = set(analyze_document("Centro veiklos kokybė vertinama vieną kartą per metus; paslaugų gavėjų teisės"))
    for query in ["kaip daznai vertinama kokybe", "paslaugu gaveju teises", "Kaip dažnai vertinama kokybė"]:
        terms = analyze_query(query)
        assert terms and all(term in document for term in terms if term != "dazn"), (query, terms)


def test_stopwords_and_inflections():
    assert analyze_query("kaip ir kur yra") == []
    assert analyze_query("Kaip ir kada?") == []
    assert analyze_query("kokybės") == analyze_query("kokybė") == analyze_query("kokybe") == ["kokyb"]
