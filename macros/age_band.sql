{#
    Age band of a customer, `Unknown` when the age is missing (the analysis keeps such
    customers: age is not critical).
#}
{% macro age_band(age_column) -%}
    case
        when {{ age_column }} is null then 'Unknown'
        when {{ age_column }} < 25 then '18-24'
        when {{ age_column }} < 35 then '25-34'
        when {{ age_column }} < 45 then '35-44'
        when {{ age_column }} < 55 then '45-54'
        when {{ age_column }} < 65 then '55-64'
        else '65+'
    end
{%- endmacro %}
