from tests.certificates.world import World


def test_smoke(world: World) -> None:
    made = world.issue(world.ids[0])
    assert made.status_code == 201, made.text
    print(made.json())
    checked = world.client.post("/certificates/verify", json={"text": made.json()["qr_text"], "id_number": world.ids[0]})
    print(checked.json())
    assert checked.json()["standing"] == "valid"
