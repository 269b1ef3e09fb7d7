import asyncio
from tests.conftest import running_app, make_settings
from app.tenants.keys import Role
from app.audit.writer import AuditWriter

async def dump():
    await asyncio.sleep(6)
    for t in asyncio.all_tasks():
        print("TASK", t)
        t.print_stack(limit=8)

async def test_a(database_url, tenant):
    print(AuditWriter._run)
    d = asyncio.create_task(dump())
    async with running_app(make_settings(database_url)) as (app, client):
        r = await client.post("/v1/keys", headers=tenant.headers(Role.ADMIN), json={"role": "chat"})
        print(r.status_code)
    print("exited a")
