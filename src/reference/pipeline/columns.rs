//! The columns of each dataset the pipeline writes, and reading them back
//! by name, so a stage never depends on where a column sits.

use std::sync::Arc;

use anyhow::{anyhow, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, TimestampMillisecondType, UInt64Type};
use arrow_array::{Array, PrimitiveArray, RecordBatch, StringArray, StringViewArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a arrow_array::ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| anyhow!("the data has no column `{name}`"))
}

/// A text column by name.
pub(super) fn text<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a StringArray> {
    column(batch, name)?
        .as_string_opt::<i32>()
        .ok_or_else(|| anyhow!("column `{name}` is not text"))
}

/// A text column read as string views, by name.
pub(super) fn text_view<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a StringViewArray> {
    column(batch, name)?
        .as_string_view_opt()
        .ok_or_else(|| anyhow!("column `{name}` is not text"))
}

/// A text column read as a dictionary, by name: its rows' indices and
/// the values they index. A column with nulls is refused: every index is
/// then a value's.
pub(super) fn dictionary<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<(&'a PrimitiveArray<Int32Type>, &'a StringArray)> {
    let array = column(batch, name)?
        .as_dictionary_opt::<Int32Type>()
        .ok_or_else(|| anyhow!("column `{name}` is not a dictionary"))?;
    if array.null_count() > 0 {
        return Err(anyhow!("column `{name}` has missing values"));
    }
    let values = array
        .values()
        .as_string_opt::<i32>()
        .ok_or_else(|| anyhow!("column `{name}` is not text"))?;
    Ok((array.keys(), values))
}

/// A millisecond timestamp column by name.
pub(super) fn timestamps<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<&'a PrimitiveArray<TimestampMillisecondType>> {
    column(batch, name)?
        .as_primitive_opt::<TimestampMillisecondType>()
        .ok_or_else(|| anyhow!("column `{name}` is not a timestamp"))
}

/// A count column by name.
pub(super) fn counts<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<&'a PrimitiveArray<UInt64Type>> {
    column(batch, name)?
        .as_primitive_opt::<UInt64Type>()
        .ok_or_else(|| anyhow!("column `{name}` is not a count"))
}

pub(super) fn schema_raw() -> Arc<Schema> {
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        text("event_id", false),
        text("user_id", true),
        text("session_id", true),
        text("page", false),
        Field::new(
            "timestamp",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        text("action", true),
        text("user_agent", true),
        text("referrer", true),
        text("ip", true),
        text("locale", true),
        text("screen", true),
        // Fields the schema does not know yet, as a JSON object.
        text("extra", true),
        text("source_file", false),
    ]))
}

pub(super) fn schema_processed() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("event_id", DataType::Utf8, false),
        Field::new("product_id", DataType::Utf8, false),
        Field::new(
            "timestamp",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
    ]))
}

pub(super) fn schema_counts() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("date", DataType::Utf8, false),
        Field::new("product_id", DataType::Utf8, false),
        Field::new("view_count", DataType::UInt64, false),
    ]))
}

/// The final output's columns; the date is in the folder name (Hive style),
/// which DuckDB, Spark, pandas and polars read as a column.
pub(super) fn schema_views() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("product_id", DataType::Utf8, false),
        Field::new("view_count", DataType::UInt64, false),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, UInt64Array};

    #[test]
    fn columns_are_found_by_name_wherever_they_sit() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("view_count", DataType::UInt64, false),
            Field::new("product_id", DataType::Utf8, false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(UInt64Array::from(vec![7u64])) as ArrayRef,
                Arc::new(StringArray::from(vec!["p1"])) as ArrayRef,
            ],
        )
        .unwrap();
        assert_eq!(text(&batch, "product_id").unwrap().value(0), "p1");
        assert_eq!(counts(&batch, "view_count").unwrap().value(0), 7);
        let missing = text(&batch, "date").unwrap_err().to_string();
        assert!(missing.contains("no column `date`"), "{missing}");
        let wrong = text(&batch, "view_count").unwrap_err().to_string();
        assert!(wrong.contains("not text"), "{wrong}");
    }

    #[test]
    fn a_dictionary_column_is_its_indices_and_values_and_has_no_gaps() {
        use arrow_array::DictionaryArray;
        let batch = |products: Vec<Option<&str>>| {
            let array: DictionaryArray<Int32Type> = products.into_iter().collect();
            RecordBatch::try_from_iter([("product_id", Arc::new(array) as ArrayRef)]).unwrap()
        };
        let full = batch(vec![Some("p2"), Some("p1"), Some("p2")]);
        let (indices, values) = dictionary(&full, "product_id").unwrap();
        let read: Vec<&str> = indices
            .values()
            .iter()
            .map(|&i| values.value(i as usize))
            .collect();
        assert_eq!(read, ["p2", "p1", "p2"]);
        let gaps = dictionary(&batch(vec![Some("p1"), None]), "product_id").unwrap_err();
        assert!(gaps.to_string().contains("missing values"), "{gaps}");
    }
}
