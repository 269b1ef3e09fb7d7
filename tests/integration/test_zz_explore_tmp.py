import asyncio
from tests.conftest import running_app, make_settings
from app.tenants.keys import Role

async def test_a(database_url, tenant):
    async with running_app(make_settings(database_url)) as (app, client):
        r = await client.post("/v1/keys", headers=tenant.headers(Role.ADMIN), json={"role": "chat"})
        print(r.status_code)
    print("exited a")

async def test_b(database_url, tenant):
    print("b start")
    async with running_app(make_settings(database_url)) as (app, client):
        r = await client.post("/v1/keys", headers=tenant.headers(Role.ADMIN), json={"role": "agent"})
        print(r.status_code)
    print("exited b")
