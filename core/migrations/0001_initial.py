from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.accounts.models import Role
from core.catalog.models import AnalysisStatus, BackgroundKind
from core.jobs.models import JobStatus
from core.stores.models import StoreStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account', 'app': 'models', 'pk_attr': 'id', 'table_description': "A merchant's company: it owns stores, carts, specifications and orders."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Job',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(db_index=True, max_length=64)),
                ('status', fields.CharEnumField(default=JobStatus.QUEUED, db_index=True, description='QUEUED: QUEUED\nRUNNING: RUNNING\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED\nCANCELLED: CANCELLED', enum_type=JobStatus, max_length=16)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='jobs', on_delete=OnDelete.CASCADE)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('checkpoint', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('done', fields.IntField(default=0)),
                ('total', fields.IntField(null=True)),
                ('message', fields.CharField(default='', max_length=500)),
                ('attempts', fields.IntField(default=0)),
                ('lease_until', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'job', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Long work (sync, editing, publishing, mail). This row is the truth about its'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Store',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='stores', on_delete=OnDelete.SET_NULL)),
                ('platform', fields.CharField(max_length=32)),
                ('external_id', fields.CharField(max_length=100)),
                ('name', fields.CharField(default='', max_length=200)),
                ('domain', fields.CharField(default='', max_length=255)),
                ('status', fields.CharEnumField(default=StoreStatus.INSTALLED, description='INSTALLED: INSTALLED\nUNINSTALLED: UNINSTALLED', enum_type=StoreStatus, max_length=16)),
                ('access_token_sealed', fields.TextField(null=True, unique=False)),
                ('webhook_secret_sealed', fields.TextField(null=True, unique=False)),
                ('scopes', fields.CharField(default='', max_length=1000)),
                ('owner_email', fields.CharField(default='', max_length=320)),
                ('installed_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('uninstalled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_synced_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_full_synced_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('image_count', fields.IntField(default=0)),
                ('sync_job', fields.ForeignKeyField('models.Job', source_field='sync_job_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('analysis_job', fields.ForeignKeyField('models.Job', source_field='analysis_job_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'store', 'app': 'models', 'unique_together': (('platform', 'external_id'),), 'pk_attr': 'id', 'table_description': 'A store connected through a platform plugin. Linked to an account once the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Product',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('store', fields.ForeignKeyField('models.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='products', on_delete=OnDelete.CASCADE)),
                ('external_id', fields.CharField(max_length=64)),
                ('name', fields.CharField(max_length=255)),
                ('sku', fields.CharField(default='', max_length=255)),
                ('brand', fields.CharField(default='', max_length=255)),
                ('categories', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('is_visible', fields.BooleanField(default=True)),
                ('modified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('synced_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'product', 'app': 'models', 'unique_together': (('store', 'external_id'),), 'indexes': [Index(fields=['store_id', 'name'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Image',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('store', fields.ForeignKeyField('models.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='images', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('models.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='images', on_delete=OnDelete.CASCADE)),
                ('external_id', fields.CharField(max_length=64)),
                ('variant_external_id', fields.CharField(null=True, max_length=64)),
                ('position', fields.IntField(default=0)),
                ('is_thumbnail', fields.BooleanField(default=False)),
                ('alt_text', fields.CharField(default='', max_length=500)),
                ('file_name', fields.CharField(default='', max_length=500)),
                ('source_url', fields.CharField(max_length=2000)),
                ('thumbnail_url', fields.CharField(null=True, max_length=2000)),
                ('modified_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('synced_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('product_name', fields.CharField(default='', max_length=255)),
                ('sku', fields.CharField(default='', max_length=255)),
                ('brand', fields.CharField(default='', max_length=255)),
                ('category_ids', fields.CharField(default='', max_length=1000)),
                ('is_visible', fields.BooleanField(default=True)),
                ('analysis_status', fields.CharEnumField(default=AnalysisStatus.PENDING, description='PENDING: PENDING\nDONE: DONE\nUNREADABLE: UNREADABLE', enum_type=AnalysisStatus, max_length=16)),
                ('unreadable_reason', fields.CharField(default='', max_length=300)),
                ('sha256', fields.CharField(null=True, max_length=64)),
                ('phash', fields.BigIntField(null=True)),
                ('width', fields.IntField(default=0)),
                ('height', fields.IntField(default=0)),
                ('format', fields.CharField(null=True, max_length=16)),
                ('file_bytes', fields.IntField(default=0)),
                ('background', fields.CharEnumField(null=True, description='WHITE: WHITE\nTRANSPARENT: TRANSPARENT\nLIGHT_UNIFORM: LIGHT_UNIFORM\nOTHER: OTHER', enum_type=BackgroundKind, max_length=16)),
                ('analyzed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('edited', fields.BooleanField(default=False)),
            ],
            options={'table': 'image', 'app': 'models', 'unique_together': (('store', 'external_id'),), 'indexes': [Index(fields=['store_id', 'removed_at', 'id']), Index(fields=['store_id', 'product_name', 'id']), Index(fields=['store_id', 'modified_at', 'id']), Index(fields=['store_id', 'file_bytes', 'id']), Index(fields=['store_id', 'width', 'id']), Index(fields=['store_id', 'analysis_status']), Index(fields=['store_id', 'background']), Index(fields=['store_id', 'sha256']), Index(fields=['product_id', 'removed_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UsedToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=200)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'used_token', 'app': 'models', 'pk_attr': 'id', 'table_description': "Single-use tokens already seen (e.g. a load JWT's ``jti``): a replay is refused."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(unique=True, max_length=320)),
                ('name', fields.CharField(max_length=200)),
                ('password_hash', fields.CharField(max_length=200)),
                ('role', fields.CharEnumField(default=Role.OWNER, description='OWNER: OWNER\nMEMBER: MEMBER\nSTAFF: STAFF\nADMIN: ADMIN', enum_type=Role, max_length=16)),
                ('email_verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'user', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'session', 'app': 'models', 'pk_attr': 'id', 'table_description': "A signed-in session. Only the token's SHA-256 is stored."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StoreUser',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('store', fields.ForeignKeyField('models.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.CASCADE)),
                ('external_user_id', fields.CharField(max_length=64)),
                ('email', fields.CharField(default='', max_length=320)),
                ('is_owner', fields.BooleanField(default=False)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='store_users', on_delete=OnDelete.SET_NULL)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'store_user', 'app': 'models', 'unique_together': (('store', 'external_user_id'),), 'pk_attr': 'id', 'table_description': 'A platform user who may open the app for a store (from install and load).'},
            bases=['Model'],
        ),
    ]
