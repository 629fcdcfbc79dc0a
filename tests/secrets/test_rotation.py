"""``cumulo secrets rotate``: every stored secret re-sealed for its purpose, ``enc1:`` migrated,
and nothing else touched (a user's text that looks sealed is data)."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet

from cumulo.auth.accounts import add_local_user
from cumulo.auth.user_keys import generate_key, private_key_of
from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.secrets import (
    KEYRING_FILE,
    LEGACY_PREFIX,
    Purpose,
    SecretBox,
    deployment_input,
    rotate_keyring,
)
from cumulo.store.account_models import SshKey
from cumulo.store.models import Deployment, Site
from cumulo.store.reencrypt import reencrypt_all


def _legacy(box_key: bytes, plain: str) -> str:
    return LEGACY_PREFIX + Fernet(box_key).encrypt(plain.encode()).decode()


def test_rotation_reseals_every_secret_for_its_purpose(tmp_path: Path) -> None:
    engine = Engine(Settings(data_dir=tmp_path))
    box = engine.secrets
    first_key = (tmp_path / KEYRING_FILE).read_bytes().splitlines()[0]
    look_alike = box.seal("someone else's", Purpose.SESSION)
    with engine.db.session() as s:
        dep = Deployment(
            status="CREATE_COMPLETE",
            template="t",
            outputs={"echo": look_alike},
            owner_issuer="i",
            owner_subject="s",
        )
        dep.parameters = {
            "password": box.seal("the db password", Purpose.DEPLOYMENT_INPUT,
                                 deployment_input(dep.id, "password")),
            "token": _legacy(first_key, "an old token"),  # sealed before purposes
            "plain": "x",
        }  # fmt: skip
        s.add(dep)
        s.add(
            Site(name="cloud", kind="sim", endpoint="", credentials=_legacy(first_key, "env:CLOUD"))
        )
        user = add_local_user(s, "ana", "a-long-password")
        key_id = generate_key(s, box, user, "laptop").id
    new_box = rotate_keyring(engine.settings)
    assert new_box.key_count == 2
    assert reencrypt_all(engine.db, new_box) == 3  # the deployment, the site, the key
    only_new = SecretBox([(tmp_path / KEYRING_FILE).read_bytes().splitlines()[0]])
    with engine.db.session() as s:
        dep = s.get(Deployment, dep.id)
        assert dep.outputs == {"echo": look_alike}  # not ours to touch
        assert all(v.startswith("enc2:") for k, v in dep.parameters.items() if k != "plain")
        # Readable with the new key alone: the old one can now be dropped.
        for name, plain in (("password", "the db password"), ("token", "an old token")):
            context = deployment_input(dep.id, name)
            assert only_new.open(dep.parameters[name], Purpose.DEPLOYMENT_INPUT, context) == plain
        site = s.get(Site, "cloud")
        assert only_new.open(site.credentials, Purpose.SITE_CREDENTIALS, "cloud") == "env:CLOUD"
        row = s.get(SshKey, key_id)
        assert "PRIVATE KEY" in private_key_of(s, only_new, user, row.id)
    engine.close()
