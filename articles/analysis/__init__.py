"""Pure analysis: functions over plain text and plain records.

Nothing here touches SQL, the store or the Library (layering: analysis sits
below the store and the services)."""
