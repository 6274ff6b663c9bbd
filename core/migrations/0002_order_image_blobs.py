from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OrderImage',
            name='original_key',
            field=fields.CharField(null=True, max_length=100),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='result_format',
            field=fields.CharField(null=True, max_length=8),
        ),
        ops.AddField(
            model_name='OrderImage',
            name='result_key',
            field=fields.CharField(null=True, max_length=100),
        ),
    ]
