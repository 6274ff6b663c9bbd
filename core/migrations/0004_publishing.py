from tortoise import migrations
from tortoise.migrations import operations as ops
from core.publishing.states import ItemStatus, PlanStatus, PublishAction, WriteKind, WriteStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_production')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PublishPlan',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='publish_plans', on_delete=OnDelete.CASCADE)),
                ('store', fields.ForeignKeyField('models.Store', source_field='store_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('marker', fields.CharField(max_length=16)),
                ('status', fields.CharEnumField(default=PlanStatus.DRAFT, description='DRAFT: DRAFT\nPUBLISHING: PUBLISHING\nPUBLISHED: PUBLISHED\nPARTIALLY_PUBLISHED: PARTIALLY_PUBLISHED\nROLLING_BACK: ROLLING_BACK\nROLLED_BACK: ROLLED_BACK\nROLLBACK_INCOMPLETE: ROLLBACK_INCOMPLETE', enum_type=PlanStatus, max_length=24)),
                ('job', fields.ForeignKeyField('models.Job', source_field='job_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('executed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('rolled_back_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'publish_plan', 'app': 'models', 'indexes': [Index(fields=['order_id', 'id']), Index(fields=['account_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PublishItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plan', fields.ForeignKeyField('models.PublishPlan', source_field='plan_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('order_image', fields.ForeignKeyField('models.OrderImage', source_field='order_image_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('location', fields.ForeignKeyField('models.OrderImageLocation', source_field='location_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharEnumField(description='OVERWRITE: OVERWRITE\nAPPEND: APPEND\nSKIP: SKIP\nCOPY_TO_PRODUCT: COPY_TO_PRODUCT', enum_type=PublishAction, max_length=16)),
                ('note', fields.CharField(default='', max_length=300)),
                ('source_product_external_id', fields.CharField(max_length=64)),
                ('image_external_id', fields.CharField(max_length=64)),
                ('variant_external_id', fields.CharField(null=True, max_length=64)),
                ('position', fields.IntField(default=0)),
                ('is_thumbnail', fields.BooleanField(default=False)),
                ('alt_text', fields.CharField(default='', max_length=500)),
                ('source_url', fields.CharField(default='', max_length=2000)),
                ('target_product', fields.ForeignKeyField('models.Product', source_field='target_product_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('target_product_external_id', fields.CharField(null=True, max_length=64)),
                ('status', fields.CharEnumField(default=ItemStatus.PENDING, description='PENDING: PENDING\nDONE: DONE\nSKIPPED: SKIPPED\nFAILED: FAILED\nROLLED_BACK: ROLLED_BACK', enum_type=ItemStatus, max_length=16)),
                ('error', fields.CharField(default='', max_length=500)),
                ('before_image_id', fields.CharField(null=True, max_length=64)),
                ('after_image_id', fields.CharField(null=True, max_length=64)),
                ('restored_image_id', fields.CharField(null=True, max_length=64)),
                ('original_key', fields.CharField(null=True, max_length=100)),
                ('original_meta', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('attempts', fields.IntField(default=0)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('rolled_back_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'publish_item', 'app': 'models', 'indexes': [Index(fields=['plan_id', 'id']), Index(fields=['plan_id', 'status'])], 'pk_attr': 'id', 'table_description': 'One place an edited image goes, and what happened there (the log).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PublishWrite',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.ForeignKeyField('models.PublishItem', source_field='item_id', db_constraint=True, to_field='id', related_name='writes', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='PUBLISH: PUBLISH\nROLLBACK: ROLLBACK', enum_type=WriteKind, max_length=16)),
                ('key', fields.CharField(unique=True, max_length=64)),
                ('status', fields.CharEnumField(default=WriteStatus.INTENDED, description='INTENDED: INTENDED\nAPPLIED: APPLIED\nFAILED: FAILED', enum_type=WriteStatus, max_length=16)),
                ('attempts', fields.IntField(default=1)),
                ('result_image_id', fields.CharField(null=True, max_length=64)),
                ('error', fields.CharField(default='', max_length=500)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'publish_write', 'app': 'models', 'unique_together': (('item', 'kind'),), 'pk_attr': 'id', 'table_description': 'The intent row of one store write: committed before the write is sent, closed'},
            bases=['Model'],
        ),
    ]
